lazycheck verify vmap-pages-error-path-g1prime-rt-lock --no-timings
