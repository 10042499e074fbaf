"""What every report shares: numbers for people (:mod:`.fmt`), the chart type and its axes
(:mod:`.chart`), reading an output folder (:mod:`.data`), the HTML page (:mod:`.html`),
stacked bars (:mod:`.stacked`) and the PNG base (:mod:`.png`)."""
