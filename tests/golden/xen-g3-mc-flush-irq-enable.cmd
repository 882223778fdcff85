lazycheck verify xen-g3-mc-flush-irq-enable --no-timings
