lazycheck verify arm64-g3-v4-softirq --no-timings
