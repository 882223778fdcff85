lazycheck verify powerpc-hash-g3-section-sleeps --no-timings
