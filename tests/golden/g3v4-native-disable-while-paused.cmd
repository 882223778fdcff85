lazycheck verify g3v4-native-disable-while-paused --no-timings
