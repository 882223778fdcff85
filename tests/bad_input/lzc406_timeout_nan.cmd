verify xen-nesting-counter --timeout nan
