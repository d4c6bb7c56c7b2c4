/*===- internal.h - shared by the runtime's sources -----------------------===*/
#ifndef LEPTON_RUNTIME_INTERNAL_H
#define LEPTON_RUNTIME_INTERNAL_H

#include "lepton/runtime.h"

/* Records a printf-style message for lepton_last_error and returns status. */
lepton_status lepton_fail(lepton_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* LEPTON_OK when `desc` is a descriptor of this ABI version with an entry. */
lepton_status lepton_check_descriptor(const lepton_model_desc *desc);

#endif /* LEPTON_RUNTIME_INTERNAL_H */
