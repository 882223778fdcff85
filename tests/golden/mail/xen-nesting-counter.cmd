lazycheck verify xen-nesting-counter --format mail --no-timings
