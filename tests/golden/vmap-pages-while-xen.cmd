lazycheck verify vmap-pages-while-xen --no-timings
