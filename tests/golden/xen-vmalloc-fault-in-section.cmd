lazycheck verify xen-vmalloc-fault-in-section --no-timings
