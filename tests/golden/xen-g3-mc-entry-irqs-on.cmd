lazycheck verify xen-g3-mc-entry-irqs-on --no-timings
