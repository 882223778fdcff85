lazycheck verify sparc64-g3-rt-spinlock --no-timings
