verify xen-nesting-counter --cpus 9 --no-timings
