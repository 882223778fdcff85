lazycheck verify arm64-5fdd05efa1cd-softirq-warn --no-timings
