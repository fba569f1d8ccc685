// doc_store.hpp — "doc", the example store kind: a small shared document.
//
// State: {"counters": {}, "items": [], "fields": {}} plus "_owner" once claimed.
// Ops (roles from signed tokens):
//   "claim"      {}                    anyone identified: becomes the owner if there is none
//   "incr"       {counter, by?}        editor | owner: counters[counter] += by (default 1)
//   "append"     {item}                editor | owner: items gets item at the end
//   "set_field"  {field, value}        editor | owner: fields[field] = value; waits (queue) while
//                                      another session holds a lock on it
//   "set"        {path, value}         editor | owner: RFC 6902 add at path; rejected when locked
// An anonymous actor runs none of them ("forbidden"). Joins: any key that exists, by anyone
// (an open example for API clients: a real app limits them with StoreKind::can_join); a key
// that does not exist yet only by an editor (StoreKind::can_create), whose first op creates
// it — anyone else gets "not_found".
// "livedoc" is the same kind with 50 ms coalescing (at most one patch broadcast per 50 ms).
// It is the fixture of the store conformance tests and the model for app-defined kinds.
#pragma once

namespace cohort {
class Node;
}

namespace cohort::apps {

void install_doc_store(Node& node);

}  // namespace cohort::apps
