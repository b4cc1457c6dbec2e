"use client";
import { useComputedColorScheme } from "@mantine/core";
import ReactEChartsCore from "echarts-for-react/lib/core";
import { LineChart, ParallelChart } from "echarts/charts";
import { DataZoomComponent, GridComponent, LegendComponent, ParallelComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import type { EChartsCoreOption } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

// Only the pieces we draw are registered: a much smaller bundle than the full echarts build.
echarts.use([LineChart, ParallelChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, ParallelComponent, CanvasRenderer]);

/** A canvas chart: large series stay fast because nothing is a DOM node per point. */
export function EChart({ option, height = 260, testId, loading = false }: { option: EChartsCoreOption; height?: number; testId?: string; loading?: boolean }) {
  const scheme = useComputedColorScheme("light", { getInitialValueInEffect: true });
  return (
    <div data-testid={testId} aria-busy={loading}>
      <ReactEChartsCore
        echarts={echarts}
        option={{ backgroundColor: "transparent", ...option }}
        theme={scheme === "dark" ? "dark" : undefined}
        notMerge
        showLoading={loading}
        loadingOption={{ text: "", color: "#4c6ef5", maskColor: scheme === "dark" ? "rgba(0,0,0,0.3)" : "rgba(255,255,255,0.6)" }}
        lazyUpdate
        style={{ height, width: "100%" }}
        opts={{ renderer: "canvas" }}
      />
    </div>
  );
}
