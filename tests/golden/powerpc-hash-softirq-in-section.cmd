lazycheck verify powerpc-hash-softirq-in-section --no-timings
