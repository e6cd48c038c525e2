/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-engage.c: the lead score's rules and the price question's words (issue 16), as documented
 * in docs/http-api.md "Lead score". */
#include "confab-engage.h"

static void
test_lead_score (void)
{
  /* nothing known */
  g_assert_cmpint (confab_lead_score (0, 0, FALSE, FALSE, FALSE, FALSE), ==, 0);
  /* pages ×3, capped at 30 */
  g_assert_cmpint (confab_lead_score (4, 0, FALSE, FALSE, FALSE, FALSE), ==, 12);
  g_assert_cmpint (confab_lead_score (50, 0, FALSE, FALSE, FALSE, FALSE), ==, 30);
  /* whole minutes ×2, capped at 20 */
  g_assert_cmpint (confab_lead_score (0, 59, FALSE, FALSE, FALSE, FALSE), ==, 0);
  g_assert_cmpint (confab_lead_score (0, 150, FALSE, FALSE, FALSE, FALSE), ==, 4);
  g_assert_cmpint (confab_lead_score (0, 3600, FALSE, FALSE, FALSE, FALSE), ==, 20);
  g_assert_cmpint (confab_lead_score (0, -5, FALSE, FALSE, FALSE, FALSE), ==, 0);
  /* price 20, returning 10, e-mail 10, goal 20 */
  g_assert_cmpint (confab_lead_score (0, 0, TRUE, FALSE, FALSE, FALSE), ==, 20);
  g_assert_cmpint (confab_lead_score (0, 0, FALSE, TRUE, FALSE, FALSE), ==, 10);
  g_assert_cmpint (confab_lead_score (0, 0, FALSE, FALSE, TRUE, FALSE), ==, 10);
  g_assert_cmpint (confab_lead_score (0, 0, FALSE, FALSE, FALSE, TRUE), ==, 20);
  /* everything: 110 points, at most 100 */
  g_assert_cmpint (confab_lead_score (10, 600, TRUE, TRUE, TRUE, TRUE), ==, 100);
  g_assert_cmpint (confab_lead_score (2, 60, TRUE, FALSE, TRUE, FALSE), ==, 6 + 2 + 20 + 10);
}

static void
test_price_words (void)
{
  static const char * const asking[] = {
    "How much is the blue one?", "What are your prices?", "Do you offer a discount?",
    "Can I get a quote for 50 units?", "Is there a fee for returns?", "pricing for teams",
    "Was kostet der Versand?", "Gibt es Rabatt?", "Wie hoch sind die Kosten?", "Ich möchte ein Angebot",
    "Quel est le prix ?", "Combien ça coûte ?", "Je voudrais un devis", "Vos tarifs ?",
    "¿Cuánto cuesta?", "¿Cuánto vale?", "¿Cuál es el precio?", "¿Hay descuento?", "Necesito un presupuesto",
  };
  static const char * const other[] = {
    "Hello there", "Where is my order?", "Thanks for the feedback", "Do you ship to Austria?",
    "Wo ist mein Paket?", "Bonjour", "Hola, ¿dónde está mi pedido?", "", "coffee please",
    /* "how long" is no price question */
    "Combien de temps pour la livraison ?", "¿Cuánto tarda el envío?",
  };

  for (guint i = 0; i < G_N_ELEMENTS (asking); i++)
    if (!confab_asks_price (asking[i]))
      g_error ("“%s” asks about prices", asking[i]);
  for (guint i = 0; i < G_N_ELEMENTS (other); i++)
    if (confab_asks_price (other[i]))
      g_error ("“%s” does not ask about prices", other[i]);
  g_assert_false (confab_asks_price (NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engage/lead-score", test_lead_score);
  g_test_add_func ("/engage/price-words", test_price_words);

  return g_test_run ();
}
