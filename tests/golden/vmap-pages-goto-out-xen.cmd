lazycheck verify vmap-pages-goto-out-xen --no-timings
