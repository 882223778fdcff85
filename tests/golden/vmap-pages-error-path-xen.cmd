lazycheck verify vmap-pages-error-path-xen --no-timings
