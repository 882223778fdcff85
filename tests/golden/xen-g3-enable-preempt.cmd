lazycheck verify xen-g3-enable-preempt --no-timings
