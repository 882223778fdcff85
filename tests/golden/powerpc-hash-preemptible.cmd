lazycheck verify powerpc-hash-preemptible --no-timings
