// NameThread: gives a thread a name that top -H, ps -L, perf and /proc/<pid>/task/<tid>/comm show, so an
// operator (or the link benchmark) can tell the link thread from the executor's workers.
#ifndef EDGE_RUNTIME_SRC_COMMON_THREAD_NAME_H_
#define EDGE_RUNTIME_SRC_COMMON_THREAD_NAME_H_

#include <pthread.h>

#include <thread>

namespace edge::runtime {

// Named by the thread that started it, right after the start, so the name is there as soon as the starter
// goes on (a thread naming itself may not have run yet). `name`: at most 15 characters (longer ones are
// refused). Only that thread is renamed; the process keeps its own name.
inline void NameThread(std::thread& thread, const char* name) { pthread_setname_np(thread.native_handle(), name); }

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_SRC_COMMON_THREAD_NAME_H_
