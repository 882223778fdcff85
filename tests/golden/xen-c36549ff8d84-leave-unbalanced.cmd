lazycheck verify xen-c36549ff8d84-leave-unbalanced --no-timings
