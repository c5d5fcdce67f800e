// Tests for analyzer.h, utf8.h, unicode.h and stop_words.h: decoding, word
// splitting, case folding per script, ill-formed UTF-8, stop words, language
// names and the reusable Analyzer.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/text/analyzer.h"
#include "herondb/text/stop_words.h"
#include "herondb/text/unicode.h"
#include "herondb/text/utf8.h"

namespace herondb::text {
namespace {

using Terms = std::vector<std::string>;

Terms None(std::string_view text) {
  Terms t;
  Analyze(text, Language::kNone, &t);
  return t;
}

Terms English(std::string_view text) {
  Terms t;
  Analyze(text, Language::kEnglish, &t);
  return t;
}

// ---- UTF-8 decoding ---------------------------------------------------------

// An independent statement of well-formedness: the length the lead byte
// announces, continuation bytes, then the decoded value must need exactly that
// length and be a scalar value.
size_t ReferenceDecode(const unsigned char* p, size_t avail, char32_t* cp) {
  const unsigned b0 = p[0];
  size_t len;
  char32_t v;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    v = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    v = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    v = b0 & 0x07;
  } else {
    return 0;
  }
  if (avail < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  const char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < min_for_len[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

void ExpectSameDecode(const unsigned char* p, size_t n) {
  char32_t a = 0, b = 0;
  const size_t la = DecodeUtf8(p, p + n, &a);
  const size_t lb = ReferenceDecode(p, n, &b);
  ASSERT_EQ(la, lb) << std::hex << int(p[0]) << " " << (n > 1 ? int(p[1]) : -1) << " "
                    << (n > 2 ? int(p[2]) : -1) << " " << (n > 3 ? int(p[3]) : -1);
  if (la) {
    ASSERT_EQ(uint32_t{a}, uint32_t{b});
  }
}

TEST(Utf8, EveryScalarValueRoundTrips) {
  std::string s;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    s.clear();
    AppendUtf8(cp, &s);
    char32_t back = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    ASSERT_EQ(DecodeUtf8(p, p + s.size(), &back), s.size()) << std::hex << uint32_t{cp};
    ASSERT_EQ(uint32_t{back}, uint32_t{cp});
  }
}

TEST(Utf8, EveryOneTwoAndThreeByteSequenceMatchesTheReference) {
  unsigned char buf[3];
  for (int a = 0; a < 256; ++a) {
    buf[0] = static_cast<unsigned char>(a);
    ExpectSameDecode(buf, 1);
    for (int b = 0; b < 256; ++b) {
      buf[1] = static_cast<unsigned char>(b);
      ExpectSameDecode(buf, 2);
      if (a < 0xE0 || a > 0xEF) continue;
      for (int c = 0; c < 256; ++c) {
        buf[2] = static_cast<unsigned char>(c);
        ExpectSameDecode(buf, 3);
      }
    }
  }
}

TEST(Utf8, FourByteSequencesMatchTheReference) {
  const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0, 0xFF};
  unsigned char buf[4];
  for (int a = 0xF0; a < 0x100; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (unsigned char c : tails) {
        for (unsigned char d : tails) {
          buf[0] = static_cast<unsigned char>(a);
          buf[1] = static_cast<unsigned char>(b);
          buf[2] = c;
          buf[3] = d;
          ExpectSameDecode(buf, 4);
        }
      }
    }
  }
}

TEST(Utf8, RejectsOverlongsSurrogatesAndValuesAboveTheMaximum) {
  const char* bad[] = {"\xC0\xAF",
                       "\xC1\xBF",
                       "\xE0\x80\xAF",
                       "\xE0\x9F\xBF",
                       "\xED\xA0\x80",
                       "\xED\xBF\xBF",
                       "\xF0\x80\x80\xAF",
                       "\xF0\x8F\xBF\xBF",
                       "\xF4\x90\x80\x80",
                       "\xF5\x80\x80\x80",
                       "\xFF",
                       "\x80",
                       "\xBF"};
  for (const char* s : bad) {
    char32_t cp;
    const auto* p = reinterpret_cast<const unsigned char*>(s);
    EXPECT_EQ(DecodeUtf8(p, p + std::strlen(s), &cp), 0u) << s;
  }
}

TEST(Utf8, NeverReadsPastTheEndOfATruncatedSequence) {
  // Each prefix lives in a buffer of exactly its length (ASan checks reads).
  const std::string full = "\xF0\x9F\x98\x80";
  for (size_t n = 1; n < full.size(); ++n) {
    std::vector<unsigned char> exact(full.begin(), full.begin() + static_cast<long>(n));
    char32_t cp;
    EXPECT_EQ(DecodeUtf8(exact.data(), exact.data() + n, &cp), 0u);
  }
}

// ---- word splitting ---------------------------------------------------------

TEST(AnalyzerSplitting, LettersAndDigitsFormWordsEverythingElseSeparates) {
  EXPECT_EQ(
      None("Hello, world! foo_bar 3.14 x-ray v2 2nd a+b=c"),
      (Terms{"hello", "world", "foo", "bar", "3", "14", "x", "ray", "v2", "2nd", "a", "b", "c"}));
  EXPECT_EQ(None("tabs\tnew\nlines\r\nnul\0byte"), (Terms{"tabs", "new", "lines", "nul"}));
  EXPECT_EQ(None(std::string_view("nul\0byte", 8)), (Terms{"nul", "byte"}));
}

TEST(AnalyzerSplitting, EmptyAndSeparatorOnlyTextsHaveNoTerms) {
  EXPECT_EQ(None(""), Terms{});
  EXPECT_EQ(None("  ,.;:!?()[]{}<>-_=+*/\\|\"'`~@#$%^&"), Terms{});
  EXPECT_EQ(None("\xE2\x80\x94 \xC2\xA0 \xF0\x9F\x98\x80 \xC2\xB2"), Terms{});  // dash nbsp emoji ²
}

TEST(AnalyzerSplitting, ApostrophesStayOnlyBetweenWordCharacters) {
  EXPECT_EQ(None("don't 'quoted' rock'n'roll dogs' a''b"),
            (Terms{"don't", "quoted", "rock'n'roll", "dogs", "a", "b"}));
  // U+2019 and U+02BC inside a word become "'"; at a word's edge they separate.
  EXPECT_EQ(None("O\xE2\x80\x99Neill it\xCA\xBCs \xE2\x80\x99tis\xE2\x80\x99"),
            (Terms{"o'neill", "it's", "tis"}));
  // An apostrophe before a one-character term (an ideograph) separates.
  EXPECT_EQ(None("a'\xE6\xBC\xA2"), (Terms{"a", "\xE6\xBC\xA2"}));
}

TEST(AnalyzerSplitting, DigitsOfOtherScriptsAndCombiningMarksAreWordCharacters) {
  // Arabic-Indic digits; "e" + COMBINING ACUTE ACCENT stays one (unnormalized) term.
  EXPECT_EQ(None("\xD9\xA1\xD9\xA2\xD9\xA3 cafe\xCC\x81!"),
            (Terms{"\xD9\xA1\xD9\xA2\xD9\xA3", "cafe\xCC\x81"}));
}

TEST(AnalyzerSplitting, IdeographsAndHiraganaAreOneTermEachOtherScriptsRuns) {
  // 漢字 (Han), テスト (Katakana), 한국어 (Hangul), かな (Hiragana), ไทย (Thai)
  EXPECT_EQ(None("\xE6\xBC\xA2\xE5\xAD\x97\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88 "
                 "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4\xE3\x81\x8B\xE3\x81\xAA "
                 "\xE0\xB9\x84\xE0\xB8\x97\xE0\xB8\xA2"),
            (Terms{"\xE6\xBC\xA2", "\xE5\xAD\x97", "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88",
                   "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4", "\xE3\x81\x8B", "\xE3\x81\xAA",
                   "\xE0\xB9\x84\xE0\xB8\x97\xE0\xB8\xA2"}));
  // A Han ideograph in the middle of a Latin word splits it.
  EXPECT_EQ(None("ab\xE6\xBC\xA2"
                 "cd"),
            (Terms{"ab", "\xE6\xBC\xA2", "cd"}));
  // CJK Extension B (four-byte UTF-8) ideographs too.
  EXPECT_EQ(None("\xF0\xA0\x80\x80\xF0\xA0\x80\x81"),
            (Terms{"\xF0\xA0\x80\x80", "\xF0\xA0\x80\x81"}));
}

TEST(AnalyzerSplitting, CharacterClassesOfSampleCodePoints) {
  EXPECT_EQ(ClassOf(U'a'), CharClass::kWord);
  EXPECT_EQ(ClassOf(U'7'), CharClass::kWord);
  EXPECT_EQ(ClassOf(U'_'), CharClass::kSeparator);
  EXPECT_EQ(ClassOf(U'\''), CharClass::kApostrophe);
  EXPECT_EQ(ClassOf(0x2019), CharClass::kApostrophe);
  EXPECT_EQ(ClassOf(0x02BC), CharClass::kApostrophe);
  EXPECT_EQ(ClassOf(0x00E9), CharClass::kWord);        // é
  EXPECT_EQ(ClassOf(0x0180), CharClass::kWord);        // ƀ, Latin Extended-B
  EXPECT_EQ(ClassOf(0x03C9), CharClass::kWord);        // ω
  EXPECT_EQ(ClassOf(0x0416), CharClass::kWord);        // Ж
  EXPECT_EQ(ClassOf(0x0301), CharClass::kWord);        // combining acute
  EXPECT_EQ(ClassOf(0x00D7), CharClass::kSeparator);   // ×
  EXPECT_EQ(ClassOf(0x00A0), CharClass::kSeparator);   // no-break space
  EXPECT_EQ(ClassOf(0x4E00), CharClass::kSingle);      // 一
  EXPECT_EQ(ClassOf(0x3042), CharClass::kSingle);      // あ
  EXPECT_EQ(ClassOf(0x30A2), CharClass::kWord);        // ア
  EXPECT_EQ(ClassOf(0x1F600), CharClass::kSeparator);  // emoji
  EXPECT_EQ(ClassOf(0xE000), CharClass::kSeparator);   // private use
  EXPECT_EQ(ClassOf(0x10FFFF), CharClass::kSeparator);
}

// ---- case folding -------------------------------------------------------------

TEST(AnalyzerFolding, LatinLatin1AndExtendedAB) {
  EXPECT_EQ(None("HeLLo \xC3\x80\xC3\x89\xC3\x8E\xC3\x95\xC3\x9C\xC3\x9D\xC3\x9E"),
            (Terms{"hello", "\xC3\xA0\xC3\xA9\xC3\xAE\xC3\xB5\xC3\xBC\xC3\xBD\xC3\xBE"}));
  // ĀĞŁŒŠŽ -> āğłœšž; ſ (long s) -> s
  EXPECT_EQ(None("\xC4\x80\xC4\x9E\xC5\x81\xC5\x92\xC5\xA0\xC5\xBD \xC5\xBF"),
            (Terms{"\xC4\x81\xC4\x9F\xC5\x82\xC5\x93\xC5\xA1\xC5\xBE", "s"}));
  // Ǆ ǅ ǆ -> ǆ ǆ ǆ; Ɓ -> ɓ; Ȁ -> ȁ
  EXPECT_EQ(None("\xC7\x84 \xC7\x85 \xC7\x86 \xC6\x81 \xC8\x80"),
            (Terms{"\xC7\x86", "\xC7\x86", "\xC7\x86", "\xC9\x93", "\xC8\x81"}));
  // µ (micro sign) -> μ; ẞ -> ß; ß and ﬁ have only multi-character foldings: kept.
  EXPECT_EQ(None("\xC2\xB5 \xE1\xBA\x9E \xC3\x9F \xEF\xAC\x81"),
            (Terms{"\xCE\xBC", "\xC3\x9F", "\xC3\x9F", "\xEF\xAC\x81"}));
  // Kelvin sign -> k; fullwidth Ａ -> ａ
  EXPECT_EQ(None("\xE2\x84\xAA \xEF\xBC\xA1"), (Terms{"k", "\xEF\xBD\x81"}));
}

TEST(AnalyzerFolding, GreekIncludingFinalSigma) {
  // ΣΟΦΟΣ and σοφος both fold to σοφοσ (final sigma folds to sigma).
  const std::string sofos = "\xCF\x83\xCE\xBF\xCF\x86\xCE\xBF\xCF\x83";
  EXPECT_EQ(
      None("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x9F\xCE\xA3 \xCF\x83\xCE\xBF\xCF\x86\xCE\xBF\xCF\x82"),
      (Terms{sofos, sofos}));
  // Accented capitals keep their accent: Ά Έ -> ά έ; ϐ (beta symbol) -> β
  EXPECT_EQ(None("\xCE\x86\xCE\x88 \xCF\x90"), (Terms{"\xCE\xAC\xCE\xAD", "\xCE\xB2"}));
}

TEST(AnalyzerFolding, CyrillicArmenianAndFourByteScripts) {
  // ПРИВЕТ Ёлка Ґ -> привет ёлка ґ
  EXPECT_EQ(None("\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2 "
                 "\xD0\x81\xD0\xBB\xD0\xBA\xD0\xB0 \xD2\x90"),
            (Terms{"\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
                   "\xD1\x91\xD0\xBB\xD0\xBA\xD0\xB0", "\xD2\x91"}));
  // Armenian Ա -> ա; Deseret 𐐀 (U+10400) -> 𐐨 (U+10428)
  EXPECT_EQ(None("\xD4\xB1 \xF0\x90\x90\x80"), (Terms{"\xD5\xA1", "\xF0\x90\x90\xA8"}));
}

TEST(AnalyzerFolding, FoldCaseSamples) {
  EXPECT_EQ(uint32_t{FoldCase(U'A')}, uint32_t{U'a'});
  EXPECT_EQ(uint32_t{FoldCase(U'z')}, uint32_t{U'z'});
  EXPECT_EQ(uint32_t{FoldCase(0x03A3)}, uint32_t{0x03C3});  // Σ
  EXPECT_EQ(uint32_t{FoldCase(0x03C2)}, uint32_t{0x03C3});  // ς
  EXPECT_EQ(uint32_t{FoldCase(0x0130)}, uint32_t{0x0130});  // İ: only a multi-character folding
  EXPECT_EQ(uint32_t{FoldCase(0x1E9E)}, uint32_t{0x00DF});  // ẞ
  EXPECT_EQ(uint32_t{FoldCase(0x2126)}, uint32_t{0x03C9});  // Ω (ohm sign)
  EXPECT_EQ(uint32_t{FoldCase(0x4E00)}, uint32_t{0x4E00});
  EXPECT_EQ(uint32_t{FoldCase(0x10FFFF)}, uint32_t{0x10FFFF});
}

// ---- ill-formed UTF-8 -----------------------------------------------------------

TEST(AnalyzerInvalidUtf8, EachIllFormedByteSeparates) {
  EXPECT_EQ(None("ab\xFF"
                 "cd"),
            (Terms{"ab", "cd"}));
  EXPECT_EQ(None("ab\xC0\xAF"
                 "cd"),
            (Terms{"ab", "cd"}));  // overlong '/'
  EXPECT_EQ(None("ab\xE0\x80\xAF"
                 "cd"),
            (Terms{"ab", "cd"}));
  EXPECT_EQ(None("ab\xED\xA0\x80"
                 "cd"),
            (Terms{"ab", "cd"}));  // surrogate
  EXPECT_EQ(None("ab\xF4\x90\x80\x80"
                 "cd"),
            (Terms{"ab", "cd"}));  // above U+10FFFF
  EXPECT_EQ(None("ab\x80"
                 "cd"),
            (Terms{"ab", "cd"}));  // stray continuation
  EXPECT_EQ(None("ab\xE2\x82"
                 "cd"),
            (Terms{"ab", "cd"}));  // truncated in the middle
  EXPECT_EQ(None("caf\xC3"), (Terms{"caf"}));
  EXPECT_EQ(None("\xC3"), Terms{});
  EXPECT_EQ(None("caf\xC3\xA9"), (Terms{"caf\xC3\xA9"}));
}

TEST(AnalyzerInvalidUtf8, TruncatedSequenceAtTheEndIsReadInBounds) {
  // The text ends inside a multi-byte sequence; the buffer is exactly that long.
  const std::string s = "word \xF0\x9F\x98";
  std::vector<char> exact(s.begin(), s.end());
  EXPECT_EQ(None(std::string_view(exact.data(), exact.size())), (Terms{"word"}));
  const std::string t = "x'\xE2\x80";
  std::vector<char> exact2(t.begin(), t.end());
  EXPECT_EQ(None(std::string_view(exact2.data(), exact2.size())), (Terms{"x"}));
}

// Replaces every byte that does not start a well-formed sequence (by the
// reference decoder) with a space.
std::string BlankIllFormed(const std::string& s) {
  std::string out = s;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp;
    const size_t len = ReferenceDecode(p + i, s.size() - i, &cp);
    if (len == 0) {
      out[i++] = ' ';
    } else {
      i += len;
    }
  }
  return out;
}

bool IsWellFormed(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t len = ReferenceDecode(p + i, s.size() - i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

TEST(AnalyzerInvalidUtf8, RandomBytesAnalyzeAsIfIllFormedBytesWereSpaces) {
  std::mt19937 rng(15);
  // Bytes biased towards letters, apostrophes and UTF-8 lead/continuation bytes.
  const std::string alphabet =
      "aZ9' \x80\xBF\xC2\xC3\xCE\xCF\xD0\xE0\xE2\xE3\xE6\xED\xEF\xF0\xF4\xF5\xFF\xA9\x9F\x83";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    for (Language lang : {Language::kNone, Language::kEnglish}) {
      Terms got, want;
      Analyze(s, lang, &got);
      Analyze(BlankIllFormed(s), lang, &want);
      ASSERT_EQ(got, want);
      for (const std::string& t : got) {
        ASSERT_FALSE(t.empty());
        ASSERT_TRUE(IsWellFormed(t)) << t;
      }
    }
  }
}

// ---- term length ----------------------------------------------------------------

TEST(AnalyzerLength, TermsLongerThanTheLimitAreDropped) {
  const std::string ok(kMaxTermBytes, 'a');
  const std::string too_long(kMaxTermBytes + 1, 'a');
  EXPECT_EQ(None("x " + ok + " y"), (Terms{"x", ok, "y"}));
  EXPECT_EQ(None("x " + too_long + " y"), (Terms{"x", "y"}));
  // Measured in bytes after folding: 127 x "é" + "a" is 255 bytes, 128 x "é" 256.
  std::string e127, e128;
  for (int i = 0; i < 127; ++i) e127 += "\xC3\x89";  // É folds to é (two bytes)
  e128 = e127 + "\xC3\x89";
  std::string e127_folded;
  for (int i = 0; i < 127; ++i) e127_folded += "\xC3\xA9";
  EXPECT_EQ(None(e127 + "A"), (Terms{e127_folded + "a"}));
  EXPECT_EQ(None(e128), Terms{});
  // A huge word is scanned, dropped, and the text goes on.
  EXPECT_EQ(None(std::string(1 << 20, 'q') + " after"), (Terms{"after"}));
}

// ---- stop words and English ------------------------------------------------------

TEST(AnalyzerEnglish, DropsExactlyTheThirtyThreeStopWords) {
  const Terms stop = {"a",    "an",   "and",  "are",  "as",   "at",    "be",   "but",   "by",
                      "for",  "if",   "in",   "into", "is",   "it",    "no",   "not",   "of",
                      "on",   "or",   "such", "that", "the",  "their", "then", "there", "these",
                      "they", "this", "to",   "was",  "will", "with"};
  ASSERT_EQ(stop.size(), 33u);
  for (const std::string& w : stop) EXPECT_TRUE(IsEnglishStopWord(w)) << w;
  for (std::string_view w : {"", "ar", "ab", "i", "am", "he", "those", "which", "thee", "inta",
                             "withs", "theirs", "b", "z"}) {
    EXPECT_FALSE(IsEnglishStopWord(w)) << w;
  }
  std::string all;
  for (const std::string& w : stop) all += w + " ";
  EXPECT_EQ(English(all), Terms{});
  EXPECT_EQ(None(all), stop);  // "none" keeps them
  // Stop words are matched after case folding.
  EXPECT_EQ(English("The AND Of those"), (Terms{"those"}));
}

TEST(AnalyzerEnglish, StemsEveryTermAfterFolding) {
  EXPECT_EQ(English("The Quick brown foxes are jumping over the lazy dogs' kennels"),
            (Terms{"quick", "brown", "fox", "jump", "over", "lazi", "dog", "kennel"}));
  EXPECT_EQ(English("John's GENERously running Caf\xC3\xA9s"),
            (Terms{"john", "generous", "run", "caf\xC3\xA9"}));
  // Words without ASCII letters are left as folded.
  EXPECT_EQ(English("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x9F\xCE\xA3 1990s 42"),
            (Terms{"\xCF\x83\xCE\xBF\xCF\x86\xCE\xBF\xCF\x83", "1990s", "42"}));
}

TEST(AnalyzerEnglish, NoneOnlyFoldsCase) {
  EXPECT_EQ(None("The Running Foxes"), (Terms{"the", "running", "foxes"}));
}

// ---- languages and the reusable analyzer -----------------------------------------

TEST(AnalyzerLanguage, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(ParseLanguage("none"), Language::kNone);
  EXPECT_EQ(ParseLanguage("NONE"), Language::kNone);
  EXPECT_EQ(ParseLanguage("english"), Language::kEnglish);
  EXPECT_EQ(ParseLanguage("eNgLiSh"), Language::kEnglish);
  EXPECT_STREQ(LanguageName(Language::kNone), "none");
  EXPECT_STREQ(LanguageName(Language::kEnglish), "english");
  EXPECT_EQ(ParseLanguage(LanguageName(Language::kEnglish)), Language::kEnglish);
}

TEST(AnalyzerLanguage, UnknownNameIsInvalidArgumentNamingTheAcceptedOnes) {
  for (std::string_view bad : {"", "french", "english ", "en", "nonE\xC3\xA9"}) {
    try {
      ParseLanguage(bad);
      FAIL() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      const std::string m = e.what();
      EXPECT_NE(m.find("'none'"), std::string::npos) << m;
      EXPECT_NE(m.find("'english'"), std::string::npos) << m;
    }
  }
}

TEST(AnalyzerLanguage, UnknownNameIsQuotedAsWellFormedShortText) {
  auto message = [](std::string_view name) {
    try {
      ParseLanguage(name);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string bad = message("fr\xFF\xED\xA0\x80\n");
  EXPECT_TRUE(IsWellFormed(bad)) << bad;
  EXPECT_NE(bad.find("'fr\\xff\\xed\\xa0\\x80\\x0a'"), std::string::npos) << bad;
  const std::string accented = message(
      "fran\xC3\xA7"
      "ais");
  EXPECT_NE(accented.find("'fran\xC3\xA7"
                          "ais'"),
            std::string::npos)
      << accented;
  const std::string long_name = message(std::string(10000, 'x'));
  EXPECT_LT(long_name.size(), 120u);
  EXPECT_NE(long_name.find("...'"), std::string::npos);
}

TEST(AnalyzerObject, NextWalksTheTermsAndReuseGivesTheSameResults) {
  Analyzer a(Language::kEnglish);
  EXPECT_EQ(a.language(), Language::kEnglish);
  const std::string text = "Running the tests, and passing them";
  for (int round = 0; round < 3; ++round) {
    Terms got;
    size_t pos = 0;
    while (a.Next(text, &pos)) {
      got.emplace_back(a.term());
      ASSERT_LE(pos, text.size());
    }
    EXPECT_EQ(pos, text.size());
    EXPECT_EQ(got, (Terms{"run", "test", "pass", "them"}));
    EXPECT_FALSE(a.Next(text, &pos));  // stays at the end
  }
  Terms each;
  a.ForEachTerm("Tested, testing", [&](std::string_view t) { each.emplace_back(t); });
  EXPECT_EQ(each, (Terms{"test", "test"}));
}

TEST(AnalyzerObject, StemCacheGivesTheSameTermsAsStemmingEachWordAlone) {
  // Enough stems to make the analyzer build its cache, with many distinct
  // words (slot collisions), repeated words (hits) and words too long to cache.
  std::mt19937 rng(7);
  const std::string letters = "aeiouybcdlnrstgmp'";
  std::vector<std::string> words;
  for (int i = 0; i < 3000; ++i) {
    std::string w(1 + rng() % (i % 10 == 0 ? 40 : 12), 'x');
    for (char& c : w) c = letters[rng() % letters.size()];
    words.push_back(w);
  }
  std::string text;
  Terms expected;
  for (int i = 0; i < 40000; ++i) {
    const std::string& w = words[rng() % (i % 2 ? 50 : words.size())];
    text += w + " ";
    Analyze(w, Language::kEnglish, &expected);  // a fresh analyzer: no cache
  }
  Analyzer a(Language::kEnglish);
  for (int round = 0; round < 2; ++round) {
    Terms got;
    a.ForEachTerm(text, [&](std::string_view t) { got.emplace_back(t); });
    ASSERT_EQ(got, expected);
  }
}

TEST(AnalyzerObject, MovedAnalyzersKeepWorking) {
  std::vector<Analyzer> per_thread;
  per_thread.emplace_back(Language::kEnglish);
  per_thread.emplace_back(Language::kNone);
  per_thread.reserve(16);  // moves both
  Terms english, none;
  per_thread[0].ForEachTerm("Running dogs", [&](std::string_view t) { english.emplace_back(t); });
  per_thread[1].ForEachTerm("Running dogs", [&](std::string_view t) { none.emplace_back(t); });
  EXPECT_EQ(english, (Terms{"run", "dog"}));
  EXPECT_EQ(none, (Terms{"running", "dogs"}));
  Analyzer moved(Language::kNone);
  moved = std::move(per_thread[0]);
  EXPECT_EQ(moved.language(), Language::kEnglish);
  EXPECT_TRUE(moved.term().empty());
  size_t pos = 0;
  ASSERT_TRUE(moved.Next("Jumping", &pos));
  EXPECT_EQ(moved.term(), "jump");
}

TEST(AnalyzerObject, AnalyzeAppendsToExistingTerms) {
  Terms t = {"kept"};
  Analyze("new words", Language::kNone, &t);
  EXPECT_EQ(t, (Terms{"kept", "new", "words"}));
}

}  // namespace
}  // namespace herondb::text
