lazycheck verify vmap-pages-error-path-g1prime --no-timings
