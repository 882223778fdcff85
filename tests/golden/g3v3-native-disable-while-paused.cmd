lazycheck verify g3v3-native-disable-while-paused --no-timings
