// _core.analyze: the text analyzer's terms of a str.
//
// Contract: analyze(text, language="english") -> list[str]. `text` and
// `language` must be str (TypeError otherwise); an unknown language is a
// ValueError naming the accepted ones. Lone surrogates in `text` (which UTF-8
// cannot carry) act as separators, like ill-formed UTF-8 bytes in the core.
#include "text.h"

#include <string>
#include <string_view>
#include <vector>

#include "herondb/text/analyzer.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace herondb::py {
namespace {

// Texts at least this long are analyzed without the GIL.
constexpr size_t kReleaseGilBytes = 16 * 1024;

std::string_view Utf8Of(nb::handle obj, const char* what, nb::object* keep) {
  if (!PyUnicode_Check(obj.ptr())) {
    throw nb::type_error(
        (std::string(what) + " must be a str, got " + nb::type_name(obj.type()).c_str()).c_str());
  }
  Py_ssize_t len = 0;
  const char* s = PyUnicode_AsUTF8AndSize(obj.ptr(), &len);
  if (s) return {s, static_cast<size_t>(len)};
  // Lone surrogates: encode them as (ill-formed) three-byte sequences, which
  // the analyzer treats as separators.
  PyErr_Clear();
  *keep = nb::steal(PyUnicode_AsEncodedString(obj.ptr(), "utf-8", "surrogatepass"));
  if (!keep->is_valid()) throw nb::python_error();
  return {PyBytes_AS_STRING(keep->ptr()), static_cast<size_t>(PyBytes_GET_SIZE(keep->ptr()))};
}

// One analyzer per thread and language, so that repeated calls reuse its
// buffers and its stem cache.
text::Analyzer& ThreadAnalyzer(text::Language language) {
  thread_local text::Analyzer none(text::Language::kNone);
  thread_local text::Analyzer english(text::Language::kEnglish);
  return language == text::Language::kEnglish ? english : none;
}

nb::list Analyze(nb::handle text, nb::handle language) {
  nb::object keep_text, keep_language;
  // Both types first, then the language's value.
  const std::string_view utf8 = Utf8Of(text, "text", &keep_text);
  const text::Language lang = text::ParseLanguage(Utf8Of(language, "language", &keep_language));
  text::Analyzer& analyzer = ThreadAnalyzer(lang);
  nb::list out;
  auto append = [&out](std::string_view term) {
    PyObject* s = PyUnicode_DecodeUTF8(term.data(), static_cast<Py_ssize_t>(term.size()), nullptr);
    if (!s) throw nb::python_error();
    const int rc = PyList_Append(out.ptr(), s);
    Py_DECREF(s);
    if (rc != 0) throw nb::python_error();
  };
  if (utf8.size() < kReleaseGilBytes) {
    analyzer.ForEachTerm(utf8, append);  // straight into the list
    return out;
  }
  std::vector<std::string> terms;
  {
    nb::gil_scoped_release release;
    analyzer.ForEachTerm(utf8, [&terms](std::string_view term) { terms.emplace_back(term); });
  }
  for (const std::string& term : terms) append(term);
  return out;
}

}  // namespace

void RegisterText(nb::module_& m) {
  m.def("analyze", &Analyze, "text"_a.none(), "language"_a.none() = "english");
}

}  // namespace herondb::py
