lazycheck verify copy-pte-range-set-ptes-powerpc --no-timings
