lazycheck verify xen-set-ptes-nesting --no-timings
