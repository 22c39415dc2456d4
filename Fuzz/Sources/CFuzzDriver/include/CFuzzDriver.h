#ifndef AEGIS_CFUZZDRIVER_H
#define AEGIS_CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM's debug builds point
/// `main` at `<Target>_main`, not at libFuzzer's own main, so each target calls the driver.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// Runs libFuzzer with the process's arguments and the target's callback.
int aegis_fuzz_run(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size));
#endif
