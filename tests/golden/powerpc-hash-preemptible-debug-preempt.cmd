lazycheck verify powerpc-hash-preemptible-debug-preempt --no-timings
