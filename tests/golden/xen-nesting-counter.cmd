lazycheck verify xen-nesting-counter --no-timings
