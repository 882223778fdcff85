lazycheck verify powerpc-hash-preemptible --format mail --no-timings
