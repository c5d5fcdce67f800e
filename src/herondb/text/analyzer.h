// Text analysis: turns a string into the index terms of the full-text index.
//
// Contract (the same for indexing and for queries, so they always agree):
//  1. Decoding: the text is UTF-8. Each byte of an ill-formed sequence
//     (overlong forms, surrogates, values above U+10FFFF, stray or missing
//     continuation bytes) separates words; analysis never fails and never
//     reads outside the text.
//  2. Splitting: a word is a maximal run of word characters (letters, decimal
//     digits, letter numbers and combining marks of any script; see
//     unicode.h). An apostrophe (U+0027, U+2019 or U+02BC) between two word
//     characters stays in the word as "'" ("don't", "o'neill"); elsewhere it
//     separates. Every other character separates words ("foo_bar" and "3.14"
//     are two words each). Han ideographs and Hiragana are terms of one
//     character each; other scripts (Katakana, Hangul, Thai, ...) form words
//     of runs of their letters.
//  3. Case folding: Unicode simple case folding of every character (Latin,
//     Greek with final sigma folded to sigma, Cyrillic, Armenian, ...).
//     Not done: Unicode normalization (a precomposed "é" and "e" + U+0301
//     are different terms), removal of accents, multi-character foldings
//     ("ß" stays "ß", "ﬁ" stays "ﬁ").
//  4. A term longer than kMaxTermBytes bytes (after folding) is dropped.
//  5. Language kNone stops here. Language kEnglish then drops the stop words
//     of stop_words.h and stems every remaining term with Porter2 (porter2.h);
//     terms without an ASCII letter are left as they are (the stemmer would
//     not change them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herondb::text {

enum class Language : uint8_t { kNone = 0, kEnglish = 1 };

// "none" or "english", case-insensitively; anything else is an
// Error(kInvalidArgument) that names the accepted values.
Language ParseLanguage(std::string_view name);
// "none", "english".
const char* LanguageName(Language language);

// Terms longer than this (in UTF-8 bytes, after case folding) are dropped.
inline constexpr size_t kMaxTermBytes = 255;

// Appends the index terms of `text`, in order of occurrence, to *terms.
// Invalid UTF-8 bytes act as separators (never an error, never read out of
// bounds).
void Analyze(std::string_view text, Language language, std::vector<std::string>* terms);

// A reusable analyzer: keeps its buffers between calls, so analyzing many
// texts allocates nothing once warm. Not thread-safe; use one per thread.
// For "english", once it has stemmed a few thousand terms it also keeps a
// small cache of recent stems (about 200 KiB), since a corpus repeats its
// common words all the time.
//
//   Analyzer a(Language::kEnglish);
//   size_t pos = 0;
//   while (a.Next(text, &pos)) Use(a.term());
class Analyzer {
 public:
  explicit Analyzer(Language language);
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;
  // Moving keeps the language and the stem cache; term() of either side is
  // empty until its next Next().
  Analyzer(Analyzer&& other) noexcept;
  Analyzer& operator=(Analyzer&& other) noexcept;

  Language language() const { return language_; }

  // Finds the next term of `text` at or after byte *pos; on success stores it
  // (see term()), advances *pos past it and returns true; returns false at
  // the end of the text.
  bool Next(std::string_view text, size_t* pos);

  // The last term found by Next; valid until the next call.
  std::string_view term() const { return term_; }

  // Bytes of the word buffer: room for kMaxTermBytes and the last (up to
  // four-byte) character written before the limit was seen to be passed.
  static constexpr size_t kWordBufferBytes = kMaxTermBytes + 8;

  // Calls fn(std::string_view term) for every term of `text`, in order.
  template <typename Fn>
  void ForEachTerm(std::string_view text, Fn&& fn) {
    size_t pos = 0;
    while (Next(text, &pos)) fn(term());
  }

 private:
  struct StemCache;

  // Reads the folded word starting at text[*pos] (a word character) into
  // word_; returns its length in bytes (which may exceed kMaxTermBytes: only
  // the first bytes are then stored).
  size_t ReadWord(std::string_view text, size_t* pos);
  // Replaces stem_ by its Porter2 stem, through the cache once there is one.
  void Stem();

  Language language_;
  char word_[kWordBufferBytes];
  std::string_view term_;
  std::string stem_;  // the term being stemmed (english)
  std::string scratch_;
  size_t stemmed_ = 0;  // terms stemmed so far (the cache is made after a few thousand)
  std::unique_ptr<StemCache> cache_;
};

}  // namespace herondb::text
