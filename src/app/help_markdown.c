/* help_markdown.c: the README's option reference in markdown, written by the
 * engine from the same option tables as --help and the manual
 * (`cvseg --help-markdown`; scripts/update-readme-options.sh puts it into
 * README.md between its GENERATED OPTIONS markers, and the test
 * options_reference fails when the README differs).
 *
 * Layout: a synopsis (one usage line per verb, wrapped, in a code block), the
 * common options as a table, then per verb a <details> block with its summary
 * and a table of its options. */
#include <string.h>

#include "app.h"

/* Synopsis lines: "cvseg VERB" padded to this column, wrapped at the width. */
#define MARKDOWN_SYNOPSIS_INDENT 17
#define MARKDOWN_SYNOPSIS_WIDTH  100

/* 1 when the '<' or '&' at c could open HTML or an entity ("<b", "</",
 * "&amp"); "<= 0" or "A & B" stay as they are, readable in the README. */
static int markdown_starts_markup(const char *c)
{
    const char next = c[1];
    const int letter = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z');
    return letter || (*c == '<' ? next == '/' || next == '!' || next == '?' : next == '#');
}

/* Writes text as a table cell: line breaks (and the indent after them)
 * become one blank, '|' is escaped; outside code also '\\', '*', a '<' or
 * '&' that could start markup, and backticks that do not pair up. */
static void markdown_cell(FILE *out, const char *text, int code)
{
    int backticks = 0;
    for (const char *c = text; *c; ++c)
        backticks += *c == '`';
    for (const char *c = text; *c; ++c) {
        if (*c == '\n') {
            while (c[1] == '\n' || c[1] == ' ')
                ++c;
            fputc(' ', out);
        } else if (*c == '|')
            fputs("\\|", out);
        else if (code)
            fputc(*c, out);
        else if ((*c == '<' || *c == '&') && markdown_starts_markup(c))
            fputs(*c == '<' ? "&lt;" : "&amp;", out);
        else if (*c == '\\' || *c == '*' || (*c == '`' && backticks % 2))
            fprintf(out, "\\%c", *c);
        else
            fputc(*c, out);
    }
}

/* Writes text escaped for HTML (the <summary> line). */
static void markdown_html(FILE *out, const char *text)
{
    for (const char *c = text; *c; ++c)
        if (*c == '<' || *c == '>' || *c == '&')
            fputs(*c == '<' ? "&lt;" : *c == '>' ? "&gt;" : "&amp;", out);
        else
            fputc(*c, out);
}

void cvseg_markdown_synopsis_begin(FILE *out)
{
    fputs("```\n", out);
}

/* One synopsis word of option o: "--name METAVAR", in brackets when
 * optional, " ..." when repeatable. */
static void markdown_synopsis_word(const cvseg_option *option, char *word, size_t capacity)
{
    const int value = option->kind == CVSEG_OPT_VALUE;
    snprintf(word, capacity, "%s--%s%s%s%s%s", option->required ? "" : "[", option->name,
             value ? " " : "", value ? option->metavar : "", option->repeatable ? " ..." : "",
             option->required ? "" : "]");
}

void cvseg_markdown_synopsis(FILE *out, const char *verb, const cvseg_option *table, int count)
{
    int column = fprintf(out, "cvseg %-*s", MARKDOWN_SYNOPSIS_INDENT - 6, verb);
    /* required options first, each group in table order */
    for (int pass = 1; pass >= 0; --pass)
        for (int o = 0; o < count; ++o) {
            char word[256];
            if (table[o].required != pass)
                continue;
            markdown_synopsis_word(&table[o], word, sizeof word);
            const int length = (int)strlen(word);
            if (column > MARKDOWN_SYNOPSIS_INDENT && column + 1 + length > MARKDOWN_SYNOPSIS_WIDTH)
                column = fprintf(out, "\n%*s", MARKDOWN_SYNOPSIS_INDENT, "") - 1;
            else if (column > MARKDOWN_SYNOPSIS_INDENT)
                column += fprintf(out, " ");
            column += fprintf(out, "%s", word);
        }
    fputc('\n', out);
}

void cvseg_markdown_synopsis_end(FILE *out)
{
    fputs("```\n\n", out);
}

void cvseg_markdown_common_options(FILE *out)
{
    int count = 0;
    const cvseg_common_option *common = cvseg_common_options(&count);
    fputs("Every verb also takes these (options are `--name VALUE` or `--name=VALUE`):\n\n"
          "| Option | Description |\n|---|---|\n",
          out);
    for (int c = 0; c < count; ++c) {
        fputs("| ", out);
        if (common[c].letter)
            fprintf(out, "`-%c`, ", common[c].letter);
        fprintf(out, "`--%s` | ", common[c].name);
        markdown_cell(out, common[c].manual, 0);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

void cvseg_markdown_verb(FILE *out, const char *verb, const char *summary)
{
    fprintf(out, "<details>\n<summary><code>cvseg %s</code>: ", verb);
    markdown_html(out, summary);
    fputs("</summary>\n\n", out);
}

void cvseg_markdown_options(FILE *out, const cvseg_option *table, int count)
{
    fputs("| Option | Description |\n|---|---|\n", out);
    for (int o = 0; o < count; ++o) {
        fprintf(out, "| `--%s", table[o].name);
        if (table[o].kind == CVSEG_OPT_VALUE) {
            fputc(' ', out);
            markdown_cell(out, table[o].metavar, 1);
        }
        fputs("` | ", out);
        markdown_cell(out, table[o].help, 0);
        fputs(table[o].required ? " (required) |\n" : " |\n", out);
    }
}

void cvseg_markdown_verb_end(FILE *out)
{
    fputs("\n</details>\n\n", out);
}
