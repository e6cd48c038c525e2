/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-gmime.h: GMime 3.2 (Debian 12) with g_autoptr, which it does not declare itself */
#pragma once

#include <gmime/gmime.h>

G_BEGIN_DECLS

#if !GMIME_CHECK_VERSION (3, 3, 0)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeTextPart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimePartIter, g_mime_part_iter_free)
#endif

G_END_DECLS
