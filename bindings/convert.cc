#include "convert.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace herondb::py {
namespace {

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
  // Leaked on purpose: a static nb::object would be released after the
  // interpreter has finalized, without the GIL.
  static nb::object* ascontiguous =
      new nb::object(nb::module_::import_("numpy").attr("ascontiguousarray"));
  static nb::object* float32 = new nb::object(nb::module_::import_("numpy").attr("float32"));
  const std::string not_real =
      std::string(what) + " must hold real numbers (bool and complex arrays are rejected)";
  nb::ndarray<nb::ro> any;
  if (!nb::try_cast<nb::ndarray<nb::ro>>(obj, any, false)) {
    // DLPack has no byte order, so numpy arrays of non-native byte order
    // (">f4", ">f8", ">i4" on a little-endian machine) come here: numpy
    // converts them like any other real dtype.
    nb::object dtype = nb::getattr(obj, "dtype", nb::none());
    nb::object kind = dtype.is_none() ? nb::none() : nb::getattr(dtype, "kind", nb::none());
    if (kind.is_none() || !nb::isinstance<nb::str>(kind))
      throw nb::type_error(
          (std::string(what) + ": unsupported array type " + TypeName(obj)).c_str());
    const std::string k = nb::borrow<nb::str>(kind).c_str();
    if (k != "f" && k != "i" && k != "u") throw nb::type_error(not_real.c_str());
  } else {
    auto code = static_cast<nb::dlpack::dtype_code>(any.dtype().code);
    if (code != nb::dlpack::dtype_code::Float && code != nb::dlpack::dtype_code::Int &&
        code != nb::dlpack::dtype_code::UInt && code != nb::dlpack::dtype_code::Bfloat)
      throw nb::type_error(not_real.c_str());
  }
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

namespace {

// A conversion error, carrying the field path (innermost last) up to where
// the message is made.
struct FieldError {
  bool type_error;
  std::string message;
  std::vector<std::string> path;
};

std::string PathText(const std::vector<std::string>& path) {
  std::string out;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    if (!out.empty() && (*it)[0] != '[') out += '.';
    out += *it;
  }
  return out;
}

// The JSON key string json.dumps would write for a dict key: str as is;
// int, float, bool and None as JSON spells them; anything else TypeError.
std::string KeyString(PyObject* key) {
  if (PyUnicode_Check(key)) return ToId(nb::handle(key), "metadata key");
  if (key == Py_True) return "true";
  if (key == Py_False) return "false";
  if (key == Py_None) return "null";
  nb::object text;
  if (PyLong_Check(key)) {
    text = nb::steal(PyLong_Type.tp_repr(key));
  } else if (PyFloat_Check(key)) {
    const double d = PyFloat_AS_DOUBLE(key);
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    text = nb::steal(PyFloat_Type.tp_repr(key));
  } else {
    throw FieldError{
        true, "keys must be str, int, float, bool or None, not " + TypeName(nb::handle(key)), {}};
  }
  if (!text.is_valid()) throw nb::python_error();
  return nb::borrow<nb::str>(text).c_str();
}

Value Convert(PyObject* o, int depth, int max_depth, const char* what) {
  if (o == Py_None) return Value();
  if (PyBool_Check(o)) return Value(o == Py_True);
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow > 0) {  // above int64: exact up to 2**64-1
      unsigned long long u = PyLong_AsUnsignedLongLong(o);
      if (!(u == static_cast<unsigned long long>(-1) && PyErr_Occurred()))
        return Value::OfUint(static_cast<uint64_t>(u));
      if (!PyErr_ExceptionMatches(PyExc_OverflowError)) throw nb::python_error();
      PyErr_Clear();
    }
    if (overflow) {
      nb::object text = nb::steal(PyObject_Str(o));
      if (!text.is_valid()) PyErr_Clear();
      std::string digits = text.is_valid() ? nb::borrow<nb::str>(text).c_str() : "?";
      if (digits.size() > 40)
        digits = digits.substr(0, 20) + "..." + std::to_string(digits.size()) + " digits";
      throw FieldError{false,
                       "integer " + digits +
                           " does not fit in a 64-bit integer (from -2**63 to 2**64-1): use a "
                           "float or a string",
                       {}};
    }
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    return Value(static_cast<int64_t>(v));
  }
  if (PyFloat_Check(o)) {
    double d = PyFloat_AS_DOUBLE(o);
    if (!std::isfinite(d))
      throw FieldError{false, "float must be finite (NaN and infinity are not JSON)", {}};
    return Value(d);
  }
  if (PyUnicode_Check(o))
    return Value(ToId(nb::handle(o), (std::string(what) + " string").c_str()));
  const bool list = PyList_Check(o) || PyTuple_Check(o);
  if (!list && !PyDict_Check(o))
    throw FieldError{
        true, "value of type " + TypeName(nb::handle(o)) + " is not JSON-serializable", {}};
  if (depth + 1 > max_depth)
    throw FieldError{
        false, "is nested too deeply (more than " + std::to_string(max_depth) + " levels)", {}};
  if (list) {
    Array a;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    a.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
      try {
        a.push_back(Convert(PySequence_Fast_GET_ITEM(o, i), depth + 1, max_depth, what));
      } catch (FieldError& e) {
        e.path.push_back("[" + std::to_string(i) + "]");
        throw;
      }
    }
    return Value(std::move(a));
  }
  Object obj_out;
  obj_out.reserve(static_cast<size_t>(PyDict_Size(o)));
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  bool converted_keys = false;
  while (PyDict_Next(o, &pos, &key, &value)) {
    std::string k = KeyString(key);
    if (!PyUnicode_Check(key)) converted_keys = true;
    if (converted_keys)
      for (const auto& kv : obj_out)
        if (kv.first == k)
          throw FieldError{
              false, "has the key '" + k + "' twice once keys are strings, as json makes them", {}};
    obj_out.emplace_back(std::move(k), Value());
    try {
      obj_out.back().second = Convert(value, depth + 1, max_depth, what);
    } catch (FieldError& e) {
      e.path.push_back(obj_out.back().first);
      throw;
    }
  }
  return Value(std::move(obj_out));
}

// Converts with field paths in the messages: "metadata field 'a.b[2]': ...".
Value ConvertTop(nb::handle obj, int max_depth, const char* what) {
  try {
    return Convert(obj.ptr(), 0, max_depth, what);
  } catch (const FieldError& e) {
    std::string where = std::string(what);
    if (!e.path.empty()) where += " field '" + PathText(e.path) + "'";
    std::string msg =
        where + (e.message.rfind("is ", 0) == 0 || e.message.rfind("has ", 0) == 0 ? " " : ": ") +
        e.message;
    if (e.type_error) throw nb::type_error(msg.c_str());
    throw nb::value_error(msg.c_str());
  }
}

}  // namespace

Value ToValue(nb::handle obj, int max_depth, const char* what) {
  return ConvertTop(obj, max_depth, what);
}

ValuePtr ToMetadata(nb::handle obj) {
  if (obj.is_none()) return nullptr;
  if (!PyDict_Check(obj.ptr()))
    throw nb::type_error(("metadata must be a dict or None, got " + TypeName(obj)).c_str());
  return std::make_shared<const Value>(ConvertTop(obj, kMaxMetadataDepth, "metadata"));
}

nb::object FromValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return nb::none();
    case Value::Kind::kBool:
      return nb::bool_(v.as_bool());
    case Value::Kind::kInt:
      return nb::steal(PyLong_FromLongLong(v.as_int()));
    case Value::Kind::kUint:
      return nb::steal(PyLong_FromUnsignedLongLong(v.as_uint()));
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
