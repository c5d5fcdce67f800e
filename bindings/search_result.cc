#include "search_result.h"

#include <structmember.h>

#include <cstddef>
#include <exception>
#include <new>
#include <utility>

#include "convert.h"

namespace herondb::py {
namespace {

struct ResultObject {
  PyObject_HEAD PyObject* id;  // str (or what the constructor was given)
  double distance;
  PyObject* metadata;  // null until `pending` is converted
  ValuePtr pending;    // the stored metadata, not converted yet
};

PyTypeObject* g_type = nullptr;

// The metadata object (new reference), converting it on first use.
PyObject* Metadata(ResultObject* self) {
  if (!self->metadata) {
    try {
      nb::object m = FromMetadata(self->pending);
      self->metadata = m.release().ptr();
      self->pending.reset();
    } catch (nb::python_error& e) {
      e.restore();
      return nullptr;
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
      return nullptr;
    }
  }
  Py_INCREF(self->metadata);
  return self->metadata;
}

// (id, distance, metadata) as a tuple (new reference).
PyObject* AsTuple(ResultObject* self) {
  PyObject* meta = Metadata(self);
  if (!meta) return nullptr;
  PyObject* dist = PyFloat_FromDouble(self->distance);
  if (!dist) {
    Py_DECREF(meta);
    return nullptr;
  }
  Py_INCREF(self->id);
  PyObject* t = PyTuple_Pack(3, self->id, dist, meta);
  Py_DECREF(self->id);
  Py_DECREF(dist);
  Py_DECREF(meta);
  return t;
}

ResultObject* Alloc(PyTypeObject* type) {
  auto* self = reinterpret_cast<ResultObject*>(type->tp_alloc(type, 0));
  if (!self) return nullptr;
  self->id = nullptr;
  self->distance = 0;
  self->metadata = nullptr;
  new (&self->pending) ValuePtr();
  return self;
}

PyObject* New(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  static const char* kwlist[] = {"id", "distance", "metadata", nullptr};
  PyObject* id = nullptr;
  double distance = 0;
  PyObject* metadata = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Od|O:SearchResult", const_cast<char**>(kwlist),
                                   &id, &distance, &metadata))
    return nullptr;
  ResultObject* self = Alloc(type);
  if (!self) return nullptr;
  Py_INCREF(id);
  Py_INCREF(metadata);
  self->id = id;
  self->distance = distance;
  self->metadata = metadata;
  return reinterpret_cast<PyObject*>(self);
}

void Dealloc(PyObject* obj) {
  auto* self = reinterpret_cast<ResultObject*>(obj);
  PyTypeObject* type = Py_TYPE(obj);
  Py_XDECREF(self->id);
  Py_XDECREF(self->metadata);
  self->pending.~ValuePtr();
  type->tp_free(obj);
  Py_DECREF(type);  // heap type
}

PyObject* GetMetadata(PyObject* obj, void*) {
  return Metadata(reinterpret_cast<ResultObject*>(obj));
}

Py_ssize_t Length(PyObject*) { return 3; }

PyObject* Item(PyObject* obj, Py_ssize_t i) {
  auto* self = reinterpret_cast<ResultObject*>(obj);
  // Negative indices arrive here already offset by the length.
  switch (i) {
    case 0:
      Py_INCREF(self->id);
      return self->id;
    case 1:
      return PyFloat_FromDouble(self->distance);
    case 2:
      return Metadata(self);
  }
  PyErr_SetString(PyExc_IndexError, "SearchResult index out of range");
  return nullptr;
}

PyObject* RichCompare(PyObject* a, PyObject* b, int op) {
  if (op != Py_EQ && op != Py_NE) Py_RETURN_NOTIMPLEMENTED;
  PyObject* mine = AsTuple(reinterpret_cast<ResultObject*>(a));
  if (!mine) return nullptr;
  PyObject* other = nullptr;
  if (PyObject_TypeCheck(b, g_type)) {
    other = AsTuple(reinterpret_cast<ResultObject*>(b));
    if (!other) {
      Py_DECREF(mine);
      return nullptr;
    }
  } else if (PyTuple_Check(b)) {
    Py_INCREF(b);
    other = b;
  }
  PyObject* result;
  if (other) {
    result = PyObject_RichCompare(mine, other, op);
    Py_DECREF(other);
  } else {
    result = (op == Py_EQ) ? Py_False : Py_True;
    Py_INCREF(result);
  }
  Py_DECREF(mine);
  return result;
}

Py_hash_t Hash(PyObject* obj) {
  auto* self = reinterpret_cast<ResultObject*>(obj);
  PyObject* dist = PyFloat_FromDouble(self->distance);
  if (!dist) return -1;
  PyObject* t = PyTuple_Pack(2, self->id, dist);
  Py_DECREF(dist);
  if (!t) return -1;
  Py_hash_t h = PyObject_Hash(t);
  Py_DECREF(t);
  return h;
}

PyObject* Repr(PyObject* obj) {
  PyObject* t = AsTuple(reinterpret_cast<ResultObject*>(obj));
  if (!t) return nullptr;
  PyObject* r =
      PyUnicode_FromFormat("SearchResult(id=%R, distance=%R, metadata=%R)", PyTuple_GET_ITEM(t, 0),
                           PyTuple_GET_ITEM(t, 1), PyTuple_GET_ITEM(t, 2));
  Py_DECREF(t);
  return r;
}

// pickle / copy: rebuilt by calling the type with (id, distance, metadata).
PyObject* Reduce(PyObject* obj, PyObject*) {
  PyObject* args = AsTuple(reinterpret_cast<ResultObject*>(obj));
  if (!args) return nullptr;
  PyObject* r = PyTuple_Pack(2, reinterpret_cast<PyObject*>(Py_TYPE(obj)), args);
  Py_DECREF(args);
  return r;
}

PyMethodDef kMethods[] = {
    {"__reduce__", &Reduce, METH_NOARGS,
     "Pickle and copy support: SearchResult(id, distance, metadata)."},
    {nullptr, nullptr, 0, nullptr},
};

PyMemberDef kMembers[] = {
    {const_cast<char*>("id"), T_OBJECT_EX, offsetof(ResultObject, id), READONLY,
     const_cast<char*>("The matched vector's id.")},
    {const_cast<char*>("distance"), T_DOUBLE, offsetof(ResultObject, distance), READONLY,
     const_cast<char*>("Distance to the query (lower is closer).")},
    {nullptr, 0, 0, 0, nullptr},
};

PyGetSetDef kGetSet[] = {
    {const_cast<char*>("metadata"), &GetMetadata, nullptr,
     const_cast<char*>("The matched vector's metadata, or None."), nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot kSlots[] = {
    {Py_tp_doc, const_cast<char*>("One search hit: id, distance and metadata; also a 3-tuple.\n\n"
                                  "SearchResult(id, distance, metadata=None)")},
    {Py_tp_new, reinterpret_cast<void*>(&New)},
    {Py_tp_dealloc, reinterpret_cast<void*>(&Dealloc)},
    {Py_tp_members, kMembers},
    {Py_tp_getset, kGetSet},
    {Py_tp_methods, kMethods},
    {Py_sq_length, reinterpret_cast<void*>(&Length)},
    {Py_sq_item, reinterpret_cast<void*>(&Item)},
    {Py_tp_richcompare, reinterpret_cast<void*>(&RichCompare)},
    {Py_tp_hash, reinterpret_cast<void*>(&Hash)},
    {Py_tp_repr, reinterpret_cast<void*>(&Repr)},
    {0, nullptr},
};

PyType_Spec kSpec = {"herondb.SearchResult", sizeof(ResultObject), 0, Py_TPFLAGS_DEFAULT, kSlots};

}  // namespace

bool AddSearchResultType(PyObject* module) {
  PyObject* type = PyType_FromSpec(&kSpec);
  if (!type) return false;
  g_type = reinterpret_cast<PyTypeObject*>(type);
  Py_INCREF(type);  // g_type keeps one reference for the process
  if (PyModule_AddObject(module, "SearchResult", type) < 0) {
    Py_DECREF(type);
    return false;
  }
  return true;
}

PyObject* NewSearchResult(std::string_view id, double distance, ValuePtr metadata) {
  PyObject* py_id = PyUnicode_DecodeUTF8(id.data(), static_cast<Py_ssize_t>(id.size()), nullptr);
  if (!py_id) return nullptr;
  ResultObject* self = Alloc(g_type);
  if (!self) {
    Py_DECREF(py_id);
    return nullptr;
  }
  self->id = py_id;
  self->distance = distance;
  if (metadata) {
    self->pending = std::move(metadata);
  } else {
    Py_INCREF(Py_None);
    self->metadata = Py_None;
  }
  return reinterpret_cast<PyObject*>(self);
}

}  // namespace herondb::py
