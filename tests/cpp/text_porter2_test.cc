// Tests for porter2.h: stems of words chosen to exercise every rule of the
// algorithm. The expected stems are those of the reference Snowball English
// stemmer (PyStemmer 3.1.0, Snowball 3.1); tests/python/test_text_analyze.py
// compares the two on a large vocabulary at run time.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "herondb/text/porter2.h"

namespace herondb::text {
namespace {

void ExpectStems(const std::vector<std::pair<std::string, std::string>>& cases) {
  std::string word, scratch;
  for (const auto& [in, stem] : cases) {
    EXPECT_EQ(Porter2Stem(in), stem) << "word: " << in;
    // The buffer-reusing form gives the same stem with warm buffers.
    word = in;
    Porter2Stem(&word, &scratch);
    EXPECT_EQ(word, stem) << "word: " << in;
  }
}

TEST(Porter2, ExceptionalWords) {
  ExpectStems({{"skies", "sky"},     {"skis", "ski"},  {"sky", "sky"},     {"dying", "die"},
               {"lying", "lie"},     {"tying", "tie"}, {"vying", "vie"},   {"hying", "hie"},
               {"dyings", "die"},    {"news", "news"}, {"howe", "howe"},   {"atlas", "atlas"},
               {"cosmos", "cosmos"}, {"bias", "bias"}, {"andes", "andes"}, {"idly", "idl"},
               {"gently", "gentl"},  {"ugly", "ugli"}, {"early", "earli"}, {"only", "onli"},
               {"singly", "singl"}});
}

TEST(Porter2, IngAndEedExceptions) {
  ExpectStems({{"inning", "inning"},        {"innings", "inning"},
               {"outing", "outing"},        {"canning", "canning"},
               {"herring", "herring"},      {"herrings", "herring"},
               {"earring", "earring"},      {"evening", "evening"},
               {"evenings", "evening"},     {"beginning", "begin"},
               {"proceed", "proceed"},      {"proceeds", "proceed"},
               {"proceeding", "proceed"},   {"exceed", "exceed"},
               {"exceeded", "exceed"},      {"exceedingly", "exceed"},
               {"succeed", "succeed"},      {"succeeded", "succeed"},
               {"succeedingly", "succeed"}, {"agreed", "agre"},
               {"agreedly", "agre"},        {"feed", "feed"},
               {"bleed", "bleed"}});
}

TEST(Porter2, RegionPrefixes) {
  ExpectStems({{"generate", "generat"},
               {"generates", "generat"},
               {"generated", "generat"},
               {"generating", "generat"},
               {"general", "general"},
               {"generally", "general"},
               {"generic", "generic"},
               {"generically", "generic"},
               {"generous", "generous"},
               {"generously", "generous"},
               {"communism", "communism"},
               {"community", "communiti"},
               {"communication", "communic"},
               {"arsenic", "arsenic"},
               {"arsenal", "arsenal"},
               {"past", "past"},
               {"paste", "paste"},
               {"pasted", "paste"},
               {"pasting", "paste"},
               {"pastes", "paste"},
               {"universe", "univers"},
               {"universal", "universal"},
               {"university", "universiti"},
               {"later", "later"},
               {"lateral", "lateral"},
               {"laterally", "lateral"},
               {"emerge", "emerg"},
               {"emergency", "emergenc"},
               {"organ", "organ"},
               {"organic", "organic"},
               {"organize", "organiz"},
               {"internal", "internal"},
               {"international", "internat"},
               {"intern", "intern"},
               {"interfere", "interfer"},
               {"interfering", "interfer"},
               {"interval", "interval"}});
}

TEST(Porter2, Step1a) {
  ExpectStems({{"ties", "tie"},
               {"cries", "cri"},
               {"tied", "tie"},
               {"cried", "cri"},
               {"dies", "die"},
               {"died", "die"},
               {"lies", "lie"},
               {"ied", "ie"},
               {"ies", "ie"},
               {"gas", "gas"},
               {"this", "this"},
               {"gaps", "gap"},
               {"kiwis", "kiwi"},
               {"us", "us"},
               {"bus", "bus"},
               {"caress", "caress"},
               {"caresses", "caress"}});
}

TEST(Porter2, Step1bUndoublingAndE) {
  ExpectStems({{"hopped", "hop"},
               {"hoping", "hope"},
               {"hoped", "hope"},
               {"hopping", "hop"},
               {"added", "add"},
               {"egged", "egg"},
               {"offed", "off"},
               {"adding", "add"},
               {"robbed", "rob"},
               {"luxuriated", "luxuri"},
               {"troubled", "troubl"},
               {"sized", "size"},
               {"fizzed", "fizz"}});
}

TEST(Porter2, YHandling) {
  ExpectStems({{"cry", "cri"},
               {"by", "by"},
               {"say", "say"},
               {"happy", "happi"},
               {"happily", "happili"},
               {"yelling", "yell"},
               {"yield", "yield"},
               {"youth", "youth"},
               {"boyish", "boyish"},
               {"enjoying", "enjoy"},
               {"sayings", "say"},
               {"yay", "yay"},
               {"ayyy", "ayyy"},
               {"yyy", "yyy"},
               {"youyo", "youyo"}});
}

TEST(Porter2, Steps2To5) {
  ExpectStems({{"relational", "relat"},
               {"conditional", "condit"},
               {"valency", "valenc"},
               {"hesitancy", "hesit"},
               {"digitizer", "digit"},
               {"conformabli", "conform"},
               {"radically", "radic"},
               {"differently", "differ"},
               {"vileli", "vile"},
               {"analogously", "analog"},
               {"vietnamization", "vietnam"},
               {"predication", "predic"},
               {"operator", "oper"},
               {"feudalism", "feudal"},
               {"decisiveness", "decis"},
               {"hopefulness", "hope"},
               {"callousness", "callous"},
               {"formaliti", "formal"},
               {"sensitiviti", "sensit"},
               {"sensibiliti", "sensibl"},
               {"geologist", "geolog"},
               {"geology", "geolog"},
               {"biology", "biolog"},
               {"fully", "fulli"},
               {"carelessly", "careless"},
               {"mindlessly", "mindless"},
               {"quickly", "quick"},
               {"triplicate", "triplic"},
               {"formative", "format"},
               {"formalize", "formal"},
               {"electriciti", "electr"},
               {"electrical", "electr"},
               {"hopeful", "hope"},
               {"goodness", "good"},
               {"revival", "reviv"},
               {"allowance", "allow"},
               {"inference", "infer"},
               {"airliner", "airlin"},
               {"gyroscopic", "gyroscop"},
               {"adjustable", "adjust"},
               {"defensible", "defens"},
               {"irritant", "irrit"},
               {"replacement", "replac"},
               {"adjustment", "adjust"},
               {"dependent", "depend"},
               {"adoption", "adopt"},
               {"homologous", "homolog"},
               {"activate", "activ"},
               {"angulariti", "angular"},
               {"effective", "effect"},
               {"bowdlerize", "bowdler"},
               {"probate", "probat"},
               {"rate", "rate"},
               {"cease", "ceas"},
               {"controll", "control"},
               {"roll", "roll"}});
}

TEST(Porter2, Apostrophes) {
  ExpectStems({{"john's", "john"},
               {"dogs'", "dog"},
               {"o'clock", "o'clock"},
               {"can't", "can't"},
               {"won't", "won't"},
               {"rock'n'roll", "rock'n'rol"},
               {"'s'", "s"},
               {"'tis", "tis"}});
}

TEST(Porter2, ShortWords) {
  ExpectStems({{"a", "a"},
               {"as", "as"},
               {"is", "is"},
               {"by", "by"},
               {"at", "at"},
               {"ow", "ow"},
               {"on", "on"}});
}

TEST(Porter2, SampleVocabulary) {
  ExpectStems({{"consign", "consign"},     {"consigned", "consign"},  {"consigning", "consign"},
               {"consignment", "consign"}, {"consist", "consist"},    {"consisted", "consist"},
               {"consistency", "consist"}, {"consistent", "consist"}, {"consistently", "consist"},
               {"consisting", "consist"},  {"consists", "consist"},   {"knack", "knack"},
               {"knackeries", "knackeri"}, {"knaves", "knave"},       {"knavish", "knavish"},
               {"kneaded", "knead"},       {"kneading", "knead"},     {"knee", "knee"},
               {"kneel", "kneel"},         {"kneeled", "kneel"},      {"kneeling", "kneel"},
               {"kneels", "kneel"},        {"knees", "knee"},         {"knell", "knell"},
               {"knelt", "knelt"},         {"knew", "knew"},          {"knife", "knife"},
               {"knight", "knight"},       {"knightly", "knight"},    {"knights", "knight"}});
}

TEST(Porter2, NonAsciiLettersCountOnce) {
  ExpectStems({{"cafés", "café"},
               {"éies", "éie"},
               {"naïvely", "naïv"},
               {"fiancées", "fiancé"},
               {"résumés", "résumé"},
               {"crème", "crème"},
               {"ñandúes", "ñandú"}});
}

TEST(Porter2, EmptyAndNonLetterWordsAreUnchanged) {
  ExpectStems(
      {{"", ""}, {"'", "'"}, {"''", "''"}, {"123", "123"}, {"1990s", "1990s"}, {"x86", "x86"}});
}

TEST(Porter2, NonAsciiCharactersSurviveInPlace) {
  // Characters outside ASCII are never removed, whatever their position.
  ExpectStems({{"\xCE\xB1\xCE\xB2\xCE\xB3", "\xCE\xB1\xCE\xB2\xCE\xB3"},
               {"\xE6\xBC\xA2ing", "\xE6\xBC\xA2ing"},
               {"\xF0\x90\x90\xA8running", "\xF0\x90\x90\xA8run"}});
}

TEST(Porter2, MalformedBytesDoNotBreakTheStemmer) {
  // Not produced by the analyzer, but the stemmer must still keep every byte.
  ExpectStems({{"\x80\x80ings", "\x80\x80ing"}, {"ab\xC3", "ab\xC3"}, {"\xC3running", "\xC3run"}});
}

}  // namespace
}  // namespace herondb::text
