// Metric names, parsing and the D2 slow-path distance. Contract: metric.h.
#include "herondb/index/metric.h"

#include <string>

#include "herondb/common/error.h"

namespace herondb {

namespace {

std::string AsciiLower(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

const char* MetricName(Metric m) {
  switch (m) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kEuclidean:
      return "euclidean";
    case Metric::kDot:
      return "dot_product";
  }
  return "unknown";
}

Metric ParseMetric(const std::string& name) {
  const std::string s = AsciiLower(name);
  if (s == "cosine") return Metric::kCosine;
  if (s == "euclidean" || s == "l2") return Metric::kEuclidean;
  if (s == "dot" || s == "dot_product") return Metric::kDot;
  Throw(ErrorCode::kInvalidArgument,
        "unknown metric '" + name +
            "'; expected one of: cosine, euclidean, l2, dot, dot_product (case-insensitive)");
}

bool IsMetricId(uint32_t id) {
  if (id > 0xff) return false;
  switch (static_cast<Metric>(id)) {
    case Metric::kCosine:
    case Metric::kEuclidean:
    case Metric::kDot:
      return true;
  }
  return false;
}

void ThrowUnknownMetric(Metric m) {
  Throw(ErrorCode::kCorruption, "unknown metric id " + std::to_string(static_cast<int>(m)));
}

float Distance(Metric m, const float* a, const float* b, size_t dim) {
  const kernels::F32Kernels& k = kernels::Best();
  return WithMetric(m, [&](auto t) { return decltype(t)::Exact(k, a, b, dim); });
}

}  // namespace herondb
