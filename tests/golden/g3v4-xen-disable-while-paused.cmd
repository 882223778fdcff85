lazycheck verify g3v4-xen-disable-while-paused --no-timings
