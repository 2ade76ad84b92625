/* Links a program against the header `m.h` and an object: a header and an
 * object from different compiles must fail here, at link time. */
#include "m.h"

int main(void) { return SimpleCNN_forward(0, 1, 0, 0) == CNNOPT_ERROR_SHAPE ? 0 : 1; }
