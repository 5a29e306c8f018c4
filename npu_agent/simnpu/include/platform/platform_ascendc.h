// CANN installs the platform query API both as tiling/platform/platform_ascendc.h and, on the include path of
// op and direct-launch builds, as platform/platform_ascendc.h (PlatformAscendCManager, GetCoreMemSize, ...).
#pragma once
#include "tiling/platform/platform_ascendc.h"
