verify xen-nesting-counter --bound 100000 --no-timings
