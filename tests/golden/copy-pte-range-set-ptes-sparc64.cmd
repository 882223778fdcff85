lazycheck verify copy-pte-range-set-ptes-sparc64 --no-timings
