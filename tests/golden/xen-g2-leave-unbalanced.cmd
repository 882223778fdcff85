lazycheck verify xen-g2-leave-unbalanced --no-timings
