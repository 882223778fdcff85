lazycheck verify arm64-smp-mb-barriers --no-timings
