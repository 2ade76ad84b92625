//===- CnnDialect.cpp - The cnn dialect -----------------------------------===//
//
// Registers the ops and attributes of the cnn dialect.
//===----------------------------------------------------------------------===//

#include "dialect/CnnDialect.h"
#include "dialect/CnnOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::cnn;

#include "dialect/CnnDialect.cpp.inc"
#include "dialect/CnnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/CnnAttrs.cpp.inc"

void CnnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/CnnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/CnnAttrs.cpp.inc"
      >();
}
