verify xen-nesting-counter --bound 0
