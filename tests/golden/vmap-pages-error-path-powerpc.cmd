lazycheck verify vmap-pages-error-path-powerpc --no-timings
