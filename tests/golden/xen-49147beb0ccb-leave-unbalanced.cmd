lazycheck verify xen-49147beb0ccb-leave-unbalanced --no-timings
