#include "convert.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace herondb::py {
namespace {

constexpr int kMaxDepth = 64;

std::string TypeName(nb::handle obj) {
  return nb::borrow<nb::str>(
             nb::handle(reinterpret_cast<PyObject*>(Py_TYPE(obj.ptr()))).attr("__name__"))
      .c_str();
}

[[noreturn]] void DimError(const char* what, size_t got, size_t dim) {
  throw nb::value_error((std::string(what) + " has dimension " + std::to_string(got) +
                         ", expected " + std::to_string(dim))
                            .c_str());
}

// Parses one number of a Python sequence.
float ToFloat(PyObject* item, const char* what) {
  if (PyFloat_Check(item)) return static_cast<float>(PyFloat_AS_DOUBLE(item));
  if (PyBool_Check(item) || PyUnicode_Check(item) || PyBytes_Check(item) ||
      !(PyLong_Check(item) || PyNumber_Check(item)))
    throw nb::type_error(
        (std::string(what) + " must contain only numbers, found " + TypeName(nb::handle(item)))
            .c_str());
  double d = PyFloat_AsDouble(item);
  if (d == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    throw nb::type_error(
        (std::string(what) + " must contain only real numbers, found " + TypeName(nb::handle(item)))
            .c_str());
  }
  return static_cast<float>(d);
}

void SequenceInto(nb::handle obj, size_t dim, const char* what, float* out) {
  nb::object seq = nb::steal(PySequence_Fast(obj.ptr(), "not a sequence"));
  if (!seq.is_valid()) {
    PyErr_Clear();
    throw nb::type_error((std::string(what) + " must be a sequence of numbers").c_str());
  }
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  if (static_cast<size_t>(n) != dim) DimError(what, static_cast<size_t>(n), dim);
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  for (Py_ssize_t i = 0; i < n; ++i) out[i] = ToFloat(items[i], what);
}

// Arrays (numpy, or anything with the buffer/DLPack protocols), but not
// byte strings: bytes are text to a user, never a vector (D5: TypeError).
bool IsArray(nb::handle obj) {
  if (PyBytes_Check(obj.ptr()) || PyByteArray_Check(obj.ptr()))
    throw nb::type_error(("a vector must be a list or an array of numbers, got " +
                          std::string(Py_TYPE(obj.ptr())->tp_name))
                             .c_str());
  return nb::ndarray_check(obj);
}

using F32Array = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;

// Returns a float32 C-contiguous view of any real-valued array (copying when
// needed) after checking its dtype.
F32Array AsF32(nb::handle obj, const char* what, nb::object* keep) {
  F32Array arr;
  if (nb::try_cast<F32Array>(obj, arr, /*convert=*/false)) {
    *keep = nb::borrow(obj);
    return arr;
  }
  nb::ndarray<nb::ro> any;
  if (!nb::try_cast<nb::ndarray<nb::ro>>(obj, any, false))
    throw nb::type_error((std::string(what) + ": unsupported array type " + TypeName(obj)).c_str());
  auto code = static_cast<nb::dlpack::dtype_code>(any.dtype().code);
  if (code != nb::dlpack::dtype_code::Float && code != nb::dlpack::dtype_code::Int &&
      code != nb::dlpack::dtype_code::UInt && code != nb::dlpack::dtype_code::Bfloat)
    throw nb::type_error(
        (std::string(what) + " must hold real numbers (bool and complex arrays are rejected)")
            .c_str());
  // Leaked on purpose: a static nb::object would be released after the
  // interpreter has finalized, without the GIL.
  static nb::object* ascontiguous =
      new nb::object(nb::module_::import_("numpy").attr("ascontiguousarray"));
  static nb::object* float32 = new nb::object(nb::module_::import_("numpy").attr("float32"));
  nb::object converted = (*ascontiguous)(obj, nb::arg("dtype") = *float32);
  if (!nb::try_cast<F32Array>(converted, arr, false))
    throw nb::type_error((std::string(what) + ": could not convert to float32").c_str());
  *keep = converted;
  return arr;
}

}  // namespace

Rows ToVector(nb::handle obj, size_t dim, const char* what) {
  Rows r;
  r.n = 1;
  if (IsArray(obj)) {
    F32Array arr = AsF32(obj, what, &r.keep);
    if (arr.ndim() != 1)
      throw nb::value_error((std::string(what) + " must be 1-dimensional, got an array with " +
                             std::to_string(arr.ndim()) + " dimensions")
                                .c_str());
    if (arr.shape(0) != dim) DimError(what, arr.shape(0), dim);
    r.data = arr.data();
    return r;
  }
  if (!PyList_Check(obj.ptr()) && !PyTuple_Check(obj.ptr()))
    throw nb::type_error(
        (std::string(what) + " must be a list of floats or a numpy array, got " + TypeName(obj))
            .c_str());
  r.owned.resize(dim);
  SequenceInto(obj, dim, what, r.owned.data());
  r.data = r.owned.data();
  return r;
}

Rows ToBatch(nb::handle obj, size_t dim, const char* what) {
  Rows r;
  if (IsArray(obj)) {
    F32Array arr = AsF32(obj, what, &r.keep);
    if (arr.ndim() != 2)
      throw nb::value_error((std::string(what) + " must be a 2-D array of shape (n, " +
                             std::to_string(dim) + "), got " + std::to_string(arr.ndim()) +
                             " dimensions")
                                .c_str());
    if (arr.shape(1) != dim) DimError(what, arr.shape(1), dim);
    r.n = arr.shape(0);
    r.data = arr.data();
    return r;
  }
  if (!PyList_Check(obj.ptr()) && !PyTuple_Check(obj.ptr()))
    throw nb::type_error((std::string(what) +
                          " must be a list of vectors or a 2-D numpy array, got " + TypeName(obj))
                             .c_str());
  nb::object seq = nb::steal(PySequence_Fast(obj.ptr(), "not a sequence"));
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  r.n = static_cast<size_t>(n);
  r.owned.resize(r.n * dim);
  for (Py_ssize_t i = 0; i < n; ++i) {
    nb::handle item(items[i]);
    std::string row_what = std::string(what) + "[" + std::to_string(i) + "]";
    if (IsArray(item)) {
      Rows one = ToVector(item, dim, row_what.c_str());
      std::copy_n(one.data, dim, r.owned.data() + i * dim);
    } else if (PyList_Check(items[i]) || PyTuple_Check(items[i])) {
      SequenceInto(item, dim, row_what.c_str(), r.owned.data() + i * dim);
    } else {
      throw nb::type_error(
          (row_what + " must be a list of floats or a numpy array, got " + TypeName(item)).c_str());
    }
  }
  r.data = r.owned.data();
  return r;
}

std::string ToId(nb::handle obj, const char* what) {
  if (!PyUnicode_Check(obj.ptr()))
    throw nb::type_error((std::string(what) + " must be a str, got " + TypeName(obj)).c_str());
  Py_ssize_t len;
  const char* s = PyUnicode_AsUTF8AndSize(obj.ptr(), &len);
  if (!s) {
    PyErr_Clear();
    throw nb::value_error((std::string(what) + " is not valid Unicode").c_str());
  }
  return std::string(s, static_cast<size_t>(len));
}

std::vector<std::string> ToIdList(nb::handle obj, const char* what) {
  if (PyUnicode_Check(obj.ptr()) || !PySequence_Check(obj.ptr()))
    throw nb::type_error(
        (std::string(what) + " must be a list of str, got " + TypeName(obj)).c_str());
  nb::object seq = nb::steal(PySequence_Fast(obj.ptr(), "not a sequence"));
  if (!seq.is_valid()) {
    PyErr_Clear();
    throw nb::type_error((std::string(what) + " must be a list of str").c_str());
  }
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    std::string w = std::string(what) + "[" + std::to_string(i) + "]";
    out.push_back(ToId(nb::handle(items[i]), w.c_str()));
  }
  return out;
}

Value ToValue(nb::handle obj, int depth) {
  if (depth > kMaxDepth)
    throw nb::value_error("metadata is nested too deeply (more than 64 levels)");
  PyObject* o = obj.ptr();
  if (o == Py_None) return Value();
  if (PyBool_Check(o)) return Value(o == Py_True);
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow)
      throw nb::value_error("metadata integer does not fit in 64 bits: use a float or a string");
    return Value(static_cast<int64_t>(v));
  }
  if (PyFloat_Check(o)) {
    double d = PyFloat_AS_DOUBLE(o);
    if (!std::isfinite(d))
      throw nb::value_error("metadata float must be finite (NaN and infinity are not JSON)");
    return Value(d);
  }
  if (PyUnicode_Check(o)) return Value(ToId(obj, "metadata string"));
  if (PyList_Check(o) || PyTuple_Check(o)) {
    Array a;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    a.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i)
      a.push_back(ToValue(nb::handle(PySequence_Fast_GET_ITEM(o, i)), depth + 1));
    return Value(std::move(a));
  }
  if (PyDict_Check(o)) {
    Object obj_out;
    obj_out.reserve(static_cast<size_t>(PyDict_Size(o)));
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o, &pos, &key, &value)) {
      if (!PyUnicode_Check(key))
        throw nb::type_error(
            ("metadata keys must be str, got " + TypeName(nb::handle(key))).c_str());
      obj_out.emplace_back(ToId(nb::handle(key), "metadata key"),
                           ToValue(nb::handle(value), depth + 1));
    }
    return Value(std::move(obj_out));
  }
  throw nb::type_error(
      ("metadata value of type " + TypeName(obj) + " is not JSON-serializable").c_str());
}

ValuePtr ToMetadata(nb::handle obj) {
  if (obj.is_none()) return nullptr;
  if (!PyDict_Check(obj.ptr()))
    throw nb::type_error(("metadata must be a dict or None, got " + TypeName(obj)).c_str());
  return std::make_shared<const Value>(ToValue(obj));
}

nb::object FromValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return nb::none();
    case Value::Kind::kBool:
      return nb::bool_(v.as_bool());
    case Value::Kind::kInt:
      return nb::steal(PyLong_FromLongLong(v.as_int()));
    case Value::Kind::kDouble:
      return nb::steal(PyFloat_FromDouble(v.as_double()));
    case Value::Kind::kString:
      return nb::steal(PyUnicode_FromStringAndSize(v.as_string().data(),
                                                   static_cast<Py_ssize_t>(v.as_string().size())));
    case Value::Kind::kArray: {
      const Array& a = v.as_array();
      nb::object list = nb::steal(PyList_New(static_cast<Py_ssize_t>(a.size())));
      for (size_t i = 0; i < a.size(); ++i)
        PyList_SET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i), FromValue(a[i]).release().ptr());
      return list;
    }
    case Value::Kind::kObject: {
      nb::dict d;
      for (const auto& [k, val] : v.as_object()) d[nb::str(k.data(), k.size())] = FromValue(val);
      return d;
    }
  }
  return nb::none();
}

nb::object FromMetadata(const ValuePtr& v) { return v ? FromValue(*v) : nb::none(); }

}  // namespace herondb::py
